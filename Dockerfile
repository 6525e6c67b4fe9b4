# syntax=docker/dockerfile:1
#
# webex-emulator as a container: one statically linked binary on an empty (`scratch`) base.
#
#   docker build -t webex-emulator .
#   docker run --rm -p 8080:8080 webex-emulator
#
# The binary is linked statically against glibc (`-C target-feature=+crt-static`), so it runs
# with nothing else in the image; .ci/run builds it the same way and runs it in an empty root
# directory as uid 65534 (there is no Docker engine on the build machines).

ARG RUST_VERSION=1

# ---- build ---------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /build
# Static glibc: with an explicit --target, cargo applies RUSTFLAGS only to the target's code,
# not to build scripts and proc macros (which cannot be static). getrandom's linux_getrandom
# backend calls getrandom(2) directly: its default looks the function up with dlsym, which
# finds nothing in a static binary, and then falls back to /dev/urandom, so the binary would
# need a /dev. .ci/run builds with the same flags. The image's binary is stripped.
ENV RUSTFLAGS='-C target-feature=+crt-static --cfg getrandom_backend="linux_getrandom"' \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_TERM_COLOR=never

# The host triple of the build platform (x86_64- or aarch64-unknown-linux-gnu), so the same
# file builds native images on amd64 and arm64.
RUN rustc -vV | sed -n 's/^host: //p' > /rust-target && test -s /rust-target

# Dependencies first, on a placeholder crate: this layer is reused until Cargo.toml or
# Cargo.lock change. It is only a warm-up: if the placeholder does not build (for instance
# a manifest naming files that are not copied yet), the real build below does everything.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src seed-data \
 && echo 'fn main() {}' > src/main.rs \
 && : > src/lib.rs \
 && { cargo build --release --locked --target "$(cat /rust-target)" \
      || echo "dependency warm-up skipped; the full build compiles everything"; } \
 && rm -rf src seed-data

# The sources. Touching the crate roots makes cargo rebuild the crate over the placeholder
# (COPY keeps the context's timestamps, which may be older than the placeholder's).
COPY . .
RUN touch -c src/main.rs src/lib.rs \
 && cargo build --release --locked --target "$(cat /rust-target)" \
 && cp "target/$(cat /rust-target)/release/webex-emulator" /webex-emulator \
 && /webex-emulator --version \
 && mkdir -p /state \
 && chown 65534:65534 /state

# ---- run -----------------------------------------------------------------------------------
FROM scratch

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="webex-emulator" \
      org.opencontainers.image.description="A local emulator of the Webex Meetings admin tracking-codes API for tests and offline development" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT"

COPY --from=build /webex-emulator /webex-emulator
# scratch has no writable directory. /state belongs to the unprivileged user, so a named volume
# mounted there starts out writable by it (Docker gives a new, empty named volume the owner of
# the directory it is mounted on). Seed files are mounted read-only anywhere, e.g. /seed.
COPY --from=build --chown=65534:65534 /state /state

# nobody:nogroup; scratch has no /etc/passwd, so the ids are numeric.
USER 65534:65534

ENV WEBEX_EMULATOR_LISTEN=0.0.0.0:8080
EXPOSE 8080

# The healthcheck subcommand reads the same WEBEX_EMULATOR_* variables as the server (the
# address, where it asks 127.0.0.1 for 0.0.0.0, and the control token): no curl needed.
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/webex-emulator", "healthcheck"]

# SIGTERM (docker stop) and SIGINT stop it cleanly: in-flight requests finish, the state file
# (when set) is written, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/webex-emulator"]
