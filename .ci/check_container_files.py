"""Checks of Dockerfile, .dockerignore and docker-compose.yml that need no Docker engine.

Usage: check_container_files.py RUSTFLAGS

RUSTFLAGS is what .ci/run builds the static binary with: the Dockerfile must build with the
same, so the binary tested in CI is the one the image ships. Needs PyYAML and `dockerfile`
(the official Dockerfile parser, from PyPI).
"""

import re
import shlex
import sys
from pathlib import Path

import dockerfile
import yaml

ROOT = Path(__file__).resolve().parent.parent
problems = []


def check(ok, message):
    if not ok:
        problems.append(message)


def env_vars_of_the_binary():
    """Every WEBEX_EMULATOR_* variable the binary reads (the env twins of its flags)."""
    text = (ROOT / "src" / "config.rs").read_text()
    names = sorted(set(re.findall(r'env\s*=\s*"(WEBEX_EMULATOR_[A-Z0-9_]+)"', text)))
    check(names, "src/config.rs: no WEBEX_EMULATOR_* variables found (has the file moved?)")
    return names


def check_dockerfile(rustflags):
    commands = dockerfile.parse_file(str(ROOT / "Dockerfile"))
    stages = []
    for c in commands:
        if c.cmd == "FROM":
            stages.append([c])
        elif stages:
            stages[-1].append(c)
    check(len(stages) >= 2, "Dockerfile: expected a multi-stage build")
    if not stages:
        return
    final = stages[-1]
    check(final[0].value[0] == "scratch", f"Dockerfile: the final stage is FROM {final[0].value[0]}, not scratch")

    def instructions(cmd):
        return [c for c in final if c.cmd == cmd]

    def env_of(stage):
        env = {}
        for c in stage:
            if c.cmd == "ENV":
                for key, value in zip(c.value[::2], c.value[1::2]):
                    env[key] = " ".join(shlex.split(value))
        return env

    users = instructions("USER")
    check(users and users[-1].value[0] == "65534:65534", "Dockerfile: the final stage must run as USER 65534:65534")
    check(any("8080" in c.value for c in instructions("EXPOSE")), "Dockerfile: EXPOSE 8080 missing")
    check(env_of(final).get("WEBEX_EMULATOR_LISTEN") == "0.0.0.0:8080", "Dockerfile: ENV WEBEX_EMULATOR_LISTEN=0.0.0.0:8080 missing")
    health = instructions("HEALTHCHECK")
    check(
        health and list(health[-1].value) == ["CMD", "/webex-emulator", "healthcheck"],
        'Dockerfile: HEALTHCHECK CMD ["/webex-emulator", "healthcheck"] missing',
    )
    entry = instructions("ENTRYPOINT")
    check(entry and entry[-1].json and list(entry[-1].value) == ["/webex-emulator"], 'Dockerfile: ENTRYPOINT ["/webex-emulator"] missing')
    labels = [k for c in instructions("LABEL") for k in c.value[::2]]
    for key in ("org.opencontainers.image.title", "org.opencontainers.image.version", "org.opencontainers.image.licenses"):
        check(key in labels, f"Dockerfile: LABEL {key} missing")
    copies = [c for c in final if c.cmd == "COPY"]
    check(any("/webex-emulator" in c.value for c in copies), "Dockerfile: the final stage does not copy /webex-emulator")
    check(
        any(c.value[-1] == "/state" and "--chown=65534:65534" in c.flags for c in copies),
        "Dockerfile: /state owned by 65534 (for the state volume) missing",
    )
    build_env = {}
    for stage in stages[:-1]:
        build_env.update(env_of(stage))
    check(
        build_env.get("RUSTFLAGS") == rustflags,
        f"Dockerfile: the build's RUSTFLAGS are {build_env.get('RUSTFLAGS')!r}; .ci/run builds with {rustflags!r}",
    )
    check(
        any(c.cmd == "RUN" and "cargo build --release" in c.value[0] for c in stages[-2]),
        "Dockerfile: the build stage does not run cargo build --release",
    )


def check_dockerignore():
    patterns = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    check("target" in patterns, ".dockerignore: target/ should be left out of the build context")
    check(".git" in patterns, ".dockerignore: .git should be left out of the build context")
    for needed in ("src", "seed-data", "Cargo.toml", "Cargo.lock"):
        check(needed not in patterns, f".dockerignore: {needed} is needed by the build")


def check_compose(names):
    text = (ROOT / "docker-compose.yml").read_text()
    doc = yaml.safe_load(text)
    service = (doc.get("services") or {}).get("webex-emulator")
    check(service is not None, "docker-compose.yml: service webex-emulator missing")
    if service is None:
        return
    build = service.get("build")
    check(build == "." or (isinstance(build, dict) and build.get("context") == "."), "docker-compose.yml: build: . missing")
    check(bool(service.get("image")), "docker-compose.yml: image: missing")
    check(any(str(p).endswith("8080:8080") for p in service.get("ports", [])), "docker-compose.yml: port 8080 not published")
    health = service.get("healthcheck") or {}
    check(health.get("test") == ["CMD", "/webex-emulator", "healthcheck"], "docker-compose.yml: healthcheck must run the healthcheck subcommand")
    check("interval" in health, "docker-compose.yml: healthcheck interval missing")
    volumes = [str(v) for v in service.get("volumes", [])]
    check("./seed-data:/seed:ro" in volumes, "docker-compose.yml: ./seed-data:/seed:ro mount missing")
    check(any(v.startswith("state:/state") for v in volumes), "docker-compose.yml: state volume mount missing")
    check("state" in (doc.get("volumes") or {}), "docker-compose.yml: top-level volume state missing")
    env = service.get("environment") or {}
    check(isinstance(env, dict), "docker-compose.yml: environment should be a mapping")
    for key, value in (env.items() if isinstance(env, dict) else []):
        # An empty value is an error for the binary ("a value is required").
        check(value not in (None, ""), f"docker-compose.yml: {key} is set to an empty value")
    for name in names:
        check(name in text, f"docker-compose.yml: {name} is not shown (set or commented) in environment")
    check("condition: service_healthy" in text, "docker-compose.yml: the example service waiting for service_healthy is missing")
    check("http://webex-emulator:8080/v1" in text, "docker-compose.yml: the example base URL http://webex-emulator:8080/v1 is missing")


def main():
    rustflags = sys.argv[1]
    check_dockerfile(rustflags)
    check_dockerignore()
    check_compose(env_vars_of_the_binary())
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print("container files: Dockerfile, .dockerignore and docker-compose.yml are consistent")


if __name__ == "__main__":
    main()
