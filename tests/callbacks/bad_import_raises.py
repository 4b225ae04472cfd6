# Raises (not an ImportError) while the module body runs.
SETTINGS = {}
raise ValueError("configuration missing: " + repr(SETTINGS.get("model")))
