# mockeko: a local fake of the Eko Bot API, as a container image.
#
#   docker build -t mockeko .
#   docker run --rm -p 8080:8080 mockeko
#
# The image holds one static binary (fixtures and OpenAPI documents are
# embedded in it) and the CA bundle for HTTPS webhooks; it runs as the
# distroless "nonroot" uid 65532. See docs/docker.md.

ARG GO_VERSION=1.26

# Build stage: a static, reproducible binary. VERSION and REVISION are
# stamped into `mockeko version` because .git is not in the build context.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=""
ARG REVISION=""
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -tags timetzdata \
      -ldflags="-s -w -X main.version=${VERSION} -X main.revision=${REVISION}" \
      -o /out/mockeko ./cmd/mockeko
RUN mkdir -p /out/etc/ssl/certs && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/

# Runtime stage: nothing but the binary and the CA bundle.
FROM scratch
ARG VERSION=""
ARG REVISION=""
LABEL org.opencontainers.image.title="mockeko" \
      org.opencontainers.image.description="A local, in-memory fake of the Eko Bot API with a contract-test harness" \
      org.opencontainers.image.source="https://github.com/mockeko/mockeko" \
      org.opencontainers.image.url="https://github.com/mockeko/mockeko" \
      org.opencontainers.image.documentation="https://github.com/mockeko/mockeko/blob/main/docs/docker.md" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.vendor="mockeko" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/mockeko /mockeko
USER 65532:65532
# Listen on every interface inside the container; `mockeko health` maps
# 0.0.0.0 to 127.0.0.1 when it checks the same address.
ENV MOCKEKO_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/mockeko", "health"]
ENTRYPOINT ["/mockeko"]
CMD ["serve"]
