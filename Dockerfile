# syntax=docker/dockerfile:1

# The orderflow binary for real deployments: worker, api, migrate and token.
# Built with -tags nodev, which leaves the embedded Temporal server and Web UI
# (the `dev` command) out: they are most of the size of a dev build.
#
#   docker build -t orderflow .
#   docker run --rm orderflow migrate    (the image runs `api` by default)

FROM golang:1.26.8 AS build
WORKDIR /src
# Static binary. No silent toolchain download either: the go line of go.mod
# must not be newer than this image.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -tags nodev -trimpath -ldflags="-s -w" -o /out/orderflow ./cmd/orderflow

# Alpine rather than distroless: its busybox wget serves the compose
# healthcheck of the API. tzdata for ORDERFLOW_TIMEZONE, CA roots for SendGrid.
FROM alpine:3.24
RUN apk add --no-cache ca-certificates tzdata \
    && addgroup -S -g 10001 orderflow \
    && adduser -S -D -H -u 10001 -G orderflow orderflow
COPY --from=build /out/orderflow /usr/local/bin/orderflow
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/orderflow"]
CMD ["api"]
