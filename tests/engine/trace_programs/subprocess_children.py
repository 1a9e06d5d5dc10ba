"""Starts a Python child and a program that is not Python, with subprocess."""

import subprocess
import sys

if __name__ == "__main__":
    subprocess.run([sys.executable, "-c", "print('python child')"], check=True)
    subprocess.run(["sleep", "0.2"], check=True)
    print("done")
