"""Reads a line from the terminal."""

name = input("name? ")
print("hello", name)
