from gvarust import Tensor as Tensor
