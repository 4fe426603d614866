"""AsyncFlow's scenario: the peer of asyncflow.toml.

One server with one core (one event loop), one endpoint of three steps:
2 ms of CPU (blocks the loop), 20 ms of awaited I/O (frees it), 1 ms of
CPU; Poisson arrivals at 300/s; 600 s simulated. Prints one JSON line with
the requests completed, their mean latency and the seconds spent in
SimulationRunner.run().

AsyncFlow's arrivals are a compound process: every user_sampling_window
seconds it draws a number of active users U, then sends Poisson arrivals
at U * rpm / 60 per second. U is drawn from a normal distribution with
variance 0 (AsyncFlow's gaussian_poisson sampler; variance is used as the
standard deviation), so U = 300 always and the arrivals are a plain
Poisson process at 300/s; with the default Poisson users the rate itself
would vary by about 6% from window to window. The three network edges
(generator -> client -> server -> client) must have a positive latency:
1 µs each, without variance, 3 µs per request in all; they drop no
request (AsyncFlow's default drops 1% on each edge, 3% of all requests,
which would lighten the server's load). The sampled metrics
(queue lengths, RAM, connections) are taken every 0.1 s, AsyncFlow's
largest period (the default is 0.01 s).

AsyncFlow draws from np.random.default_rng() without a seed; the runner's
generator is replaced by a seeded one before run() so that runs repeat.

Usage: python asyncflow_peer.py [--duration S] [--seed S]
"""

import argparse
import json
import platform
import time
from importlib.metadata import version

import numpy as np
import simpy
from asyncflow.runtime.simulation_runner import SimulationRunner
from asyncflow.schemas.payload import SimulationPayload

HOP = {"mean": 1e-6, "distribution": "normal", "variance": 0.0}
EDGE = {"latency": HOP, "dropout_rate": 0.0}


def payload(duration_s):
    return {
        "rqs_input": {
            "id": "generator",
            "avg_active_users": {"mean": 300, "distribution": "normal", "variance": 0.0},
            "avg_request_per_minute_per_user": {"mean": 60, "distribution": "poisson"},
            "user_sampling_window": 120,
        },
        "topology_graph": {
            "nodes": {
                "client": {"id": "client"},
                "servers": [{
                    "id": "app",
                    "server_resources": {"cpu_cores": 1, "ram_mb": 1024},
                    "endpoints": [{
                        "endpoint_name": "/request",
                        "steps": [
                            {"kind": "initial_parsing", "step_operation": {"cpu_time": 0.002}},
                            {"kind": "io_wait", "step_operation": {"io_waiting_time": 0.020}},
                            {"kind": "cpu_bound_operation", "step_operation": {"cpu_time": 0.001}},
                        ],
                    }],
                }],
            },
            "edges": [
                {"id": "generator-client", "source": "generator", "target": "client", **EDGE},
                {"id": "client-app", "source": "client", "target": "app", **EDGE},
                {"id": "app-client", "source": "app", "target": "client", **EDGE},
            ],
        },
        "sim_settings": {
            "total_simulation_time": duration_s,
            "sample_period_s": 0.1,
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=600, help="simulated seconds")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    started = time.perf_counter()
    env = simpy.Environment()
    runner = SimulationRunner(env=env, simulation_input=SimulationPayload.model_validate(payload(args.duration)))
    runner.rng = np.random.default_rng(args.seed)
    results = runner.run()
    run_s = time.perf_counter() - started
    stats = {getattr(k, "name", str(k)): v for k, v in results.get_latency_stats().items()}

    print(json.dumps({
        "tool": "asyncflow",
        "version": version("asyncflow-sim"),
        "requests": int(stats.get("TOTAL_REQUESTS", 0)),
        "mean_latency_ms": 1000 * stats["MEAN"] if "MEAN" in stats else None,
        "p50_latency_ms": 1000 * stats["MEDIAN"] if "MEDIAN" in stats else None,
        "p99_latency_ms": 1000 * stats["P99"] if "P99" in stats else None,
        "run_s": run_s,
        "python": platform.python_version(),
    }))


if __name__ == "__main__":
    main()
