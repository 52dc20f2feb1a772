"""The device transports: MQTT topics, message envelopes and the broker's accounts.

Above ``services`` (beside ``api`` and ``web``): it turns what devices send over MQTT
into verified messages for the arrival pipeline and keeps the broker's per-device
accounts in step with the device registry.
"""
