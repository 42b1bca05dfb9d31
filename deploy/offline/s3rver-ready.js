// Health check of the s3rver stand-in: exit 0 once s3rver answers HTTP, at the URL
// given (default: this container's own port 9000). s3rver has no health endpoint; any
// answer below 500 means it is serving.
const url = process.argv[2] || "http://127.0.0.1:9000/";
const request = require("http").get(url, (res) => process.exit(res.statusCode < 500 ? 0 : 1));
request.on("error", () => process.exit(1));
request.setTimeout(2000, () => process.exit(1));
