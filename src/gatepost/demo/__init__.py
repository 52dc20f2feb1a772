"""`gatepost demo`: a complete embedded instance exercised over its real HTTP API and MQTT."""
