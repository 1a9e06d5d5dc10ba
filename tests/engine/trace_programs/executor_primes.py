"""ProcessPoolExecutor deciding which numbers are prime."""

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor


def is_prime(n):
    if n < 2:
        return False
    return all(n % d for d in range(2, int(n**0.5) + 1))


if __name__ == "__main__":
    context = multiprocessing.get_context(sys.argv[1])
    numbers = [112272535095293, 15, 97, 1_000_003, 221, 7919]
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
        for number, prime in zip(numbers, executor.map(is_prime, numbers), strict=True):
            print(f"{number} is prime: {prime}")
        print("submit:", executor.submit(is_prime, 13).result())
