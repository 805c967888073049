# The onnx-studio CLI in a container, for cluster sweeps (README, "Beyond one machine"): every trial of a
# Kubernetes Indexed Job runs `onnx-studio trial /sweep` in this image.
#
#   docker build -t onnx-studio:0.1.0 .
#   docker run --rm -v "$PWD/sweep:/sweep" onnx-studio:0.1.0 trial /sweep --index 0
#
# onnxruntime-node ships its CPU binaries in the npm package (.npmrc skips the optional CUDA download); the
# desktop app (Electron, the renderer) is left out.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# The dev tools compile the TypeScript; Electron's binary is not needed for that.
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.base.json tsconfig.build.json ./
COPY electron ./electron
COPY shared ./shared
RUN npx tsc -p tsconfig.build.json

FROM node:20-bookworm-slim
WORKDIR /opt/onnx-studio
COPY package.json package-lock.json .npmrc ./
# Runtime dependencies only; --ignore-scripts skips `prepare` (the build happened above).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /src/out ./out
COPY bin ./bin
COPY electron/sample ./electron/sample
RUN ln -s /opt/onnx-studio/bin/onnx-studio.js /usr/local/bin/onnx-studio && onnx-studio --version
USER node
ENTRYPOINT ["onnx-studio"]
CMD ["--help"]
