// Preloaded into Node servers the tests start (NODE_OPTIONS=--require): a listen() without a host
// binds 127.0.0.1 instead of every interface, since test servers must stay on loopback.
const net = require("net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || (typeof args[0] === "string" && /^\d+$/.test(args[0]))) {
    if (typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};
