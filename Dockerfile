# syntax=docker/dockerfile:1
#
# cohostd: a static Go binary on distroless, running as uid 65532 with a read-only root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) -t cohost .
#   docker run --read-only -v cohost-data:/data -p 8080:8080 -p 9090:9090 \
#     -e ZOOM_WEBHOOK_SECRET_TOKEN=... cohost
#
# The build stage runs on the build machine's platform and cross-compiles (CGO is off: SQLite is
# modernc.org/sqlite, pure Go), so multi-platform builds need no emulation.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
# Set by BuildKit from --platform; empty means the build machine's own.
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT" -o /cohostd ./cmd/cohostd
# The SQLite directory, owned by the runtime user (mount a volume over it to keep the data).
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG COMMIT=unknown
LABEL org.opencontainers.image.title="cohost" \
      org.opencontainers.image.description="Makes every joiner of an in-scope Zoom meeting a co-host" \
      org.opencontainers.image.source="https://github.com/cohost-dev/cohost" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$COMMIT"
COPY --from=build /cohostd /cohostd
COPY --from=build --chown=65532:65532 /out/data /data
# cohostd's default database, sqlite://cohost.db, is relative: it lands on the /data volume.
WORKDIR /data
# distroless' nonroot user, numeric so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
# App (webhooks, OAuth, admin API, /healthz, /readyz) and Prometheus /metrics.
EXPOSE 8080 9090
ENTRYPOINT ["/cohostd"]
CMD ["serve"]
