"""The Python desktop host: a small Tkinter translator over the public runtime API."""
