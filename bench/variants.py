#!/usr/bin/env python3
"""Bundles for the benchmark's unannotated variants (issue 12): what a new user has.

  bench/variants.py EXAMPLE_DIR OUT_DIR STATE_DIR LOG_DIR [--scramble]

Writes OUT_DIR/docker-compose.yml: the example's compose file without healthchecks (a
`service_healthy` dependency becomes `service_started`, as it must without a healthcheck),
services in file order, or with --scramble in a fixed scrambled order (dependents before what
they depend on, so only depends_on and the gate can order them). Writes OUT_DIR/stagehand.yml
with only the memory source, reserve and default_need the example sets: no probes, no needs.
"""
import sys

import yaml

# A fixed permutation of the nine reference services: deterministic between rounds and runs.
SCRAMBLED = [
    "randhand-kafka-consumer", "gesture-service", "chat-service", "kafka", "gateway-service",
    "zookeeper", "eureka-server", "config-service", "rabbitmq",
]


def strip_readiness(service):
    service.pop("healthcheck", None)
    deps = service.get("depends_on")
    if isinstance(deps, dict):
        for dep in deps.values():
            if isinstance(dep, dict) and dep.get("condition") == "service_healthy":
                dep["condition"] = "service_started"


def main(argv):
    if len(argv) not in (5, 6) or (len(argv) == 6 and argv[5] != "--scramble"):
        sys.exit(__doc__)
    example, out, state_dir, log_dir = argv[1:5]
    with open(f"{example}/docker-compose.yml") as f:
        compose = yaml.safe_load(f)
    with open(f"{example}/stagehand.yml") as f:
        config = yaml.safe_load(f)
    services = compose["services"]
    for service in services.values():
        strip_readiness(service)
    order = SCRAMBLED if len(argv) == 6 else list(services)
    if sorted(order) != sorted(services):
        sys.exit("bench/variants.py: SCRAMBLED does not name the example's services")
    compose["services"] = {name: services[name] for name in order}
    with open(f"{out}/docker-compose.yml", "w") as f:
        yaml.safe_dump(compose, f, sort_keys=False)
    startup = config["startup"]
    minimal = {
        "version": 1,
        "compose": {"file": "docker-compose.yml", "project": config["compose"]["project"]},
        "state_dir": state_dir,
        "log_dir": log_dir,
        "pull": {"policy": "missing"},
        "startup": {key: startup[key] for key in ("memory_source", "reserve", "default_need")},
    }
    with open(f"{out}/stagehand.yml", "w") as f:
        yaml.safe_dump(minimal, f, sort_keys=False)


if __name__ == "__main__":
    main(sys.argv)
