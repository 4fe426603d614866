"""SimPy's plain M/M/4: the peer of mm4-processes.toml.

Poisson arrivals at LAMBDA per second, exp(1 s) service, 4 servers
(simpy.Resource(capacity=4), FIFO), CUSTOMERS customers; prints one JSON
line with the mean sojourn time (arrival to departure) and the seconds
spent in env.run(). The textbook SimPy model: one process per customer,
two random streams (arrivals, services) from the standard library.

Usage: python simpy_mm4.py [--customers N] [--seed S]
"""

import argparse
import json
import platform
import random
import time

import simpy

LAMBDA = 3.2  # arrivals per second
MEAN_SERVICE = 1.0  # seconds
SERVERS = 4


def customer(env, servers, service, stats):
    arrival = env.now
    with servers.request() as req:
        yield req
        yield env.timeout(service)
    stats[0] += env.now - arrival
    stats[1] += 1


def source(env, servers, customers, seed, stats):
    arrivals = random.Random(seed)
    services = random.Random(seed + 1)
    for _ in range(customers):
        env.process(customer(env, servers, services.expovariate(1 / MEAN_SERVICE), stats))
        yield env.timeout(arrivals.expovariate(LAMBDA))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=320_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    started = time.perf_counter()
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    stats = [0.0, 0]  # summed sojourn (s), customers done
    env.process(source(env, servers, args.customers, args.seed, stats))
    env.run()
    run_s = time.perf_counter() - started

    print(json.dumps({
        "tool": "simpy",
        "version": simpy.__version__,
        "customers": stats[1],
        "sim_time_s": env.now,
        "mean_sojourn_ms": 1000 * stats[0] / stats[1],
        "run_s": run_s,
        "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
