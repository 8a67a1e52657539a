"""The stories ``revflow demo`` (and ``revflow chaos``) drive through a running revflow, as its users would."""
