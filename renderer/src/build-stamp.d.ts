/** The time this page was built (ISO), set by renderer/vite.config.ts's build stamp; see shared/ws-protocol.ts. */
declare const __RENDERER_BUILD__: string | undefined;
