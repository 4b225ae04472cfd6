from gvarust.util import GST_PAD_PROBE_INFO_BUFFER as GST_PAD_PROBE_INFO_BUFFER
from gvarust.util import TRANSFORM_IP_BUFFER as TRANSFORM_IP_BUFFER
from gvarust.util import WritableBuffer as WritableBuffer
