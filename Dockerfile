# The NUMENEON backend for platforms that run images. One static binary
# (pure Go: SQLite is modernc.org/sqlite), run as a non-root user in an
# image with no shell; the binary is its own health check.
# cmd/numeneon/docker_test.go runs the build command below and checks the
# binary is static and that `numeneon healthcheck` works.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o bin/numeneon ./cmd/numeneon

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/numeneon /numeneon
USER nonroot:nonroot
# The SQLite file and development key live here when DATABASE_URL is unset
# (one container only: mount a volume to keep them).
ENV NUMENEON_DATA_DIR=/home/nonroot/data PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s CMD ["/numeneon", "healthcheck"]
ENTRYPOINT ["/numeneon"]
CMD ["serve"]
