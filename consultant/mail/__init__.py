"""Reading mail: parsing, classification, threading tokens. Pure functions over bytes."""
