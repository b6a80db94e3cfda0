// The peer of goldenpath's intake benchmark: a minimal Probot app with a
// no-op issues.opened handler (Probot verifies the signature and dispatches;
// nothing is persisted).
export default (app) => {
  app.on("issues.opened", async () => {});
};
