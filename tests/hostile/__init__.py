"""The stalker on her Wi-Fi: every attack from issue 11 replayed against a real hub and a real mosquitto."""
