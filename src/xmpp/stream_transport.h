#pragma once
// The seam that lets a client stream run somewhere other than its own TCP socket
// (XMPP over WebSocket: the web admin's listener owns the TLS connection and the
// WebSocket frames; the stream runs on an xmpp-io loop like any other).
//
//   StreamTransport   implemented by the carrier (web/xmpp_websocket): takes the
//                     stream's output bytes, closes the carrier.
//   TransportedStream implemented by Connection: takes input bytes, ends the stream.
//
// The bytes both ways are the ordinary XML stream (a <stream:stream> header, the
// stanzas, </stream:stream>); translating them to and from the carrier's framing
// is the carrier's business (xmpp/websocket_framing.h), so c2s sees no difference.
// Everything TCP streams have applies unchanged: SASL, bind, XEP-0198, the limits.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace convene::xmpp {

class StreamTransport {
 public:
  virtual ~StreamTransport() = default;
  // Called on the stream's thread, one write at a time. `done(true)` once the
  // bytes are handed to the peer's socket (false: the carrier is gone); it may be
  // called from any thread. Until then the stream queues its output, capped as on
  // TCP, so a peer that does not read is disconnected rather than buffered for.
  virtual void write(std::string bytes, std::function<void(bool ok)> done) = 0;
  // Any thread, called once when the stream ends (after its last write).
  virtual void close() = 0;
};

class TransportedStream {
 public:
  virtual ~TransportedStream() = default;
  // Any thread: input bytes, which must end between two elements (a WebSocket
  // message holds whole elements); bytes ending inside one end the stream with
  // <not-well-formed/>. Counted against the read rate like TCP bytes.
  virtual void receive(std::string bytes) = 0;
  // Any thread: end the stream with this stream error (empty: the carrier is gone,
  // nothing can be sent; a resumable XEP-0198 session stays resumable).
  virtual void end(std::string condition, std::string text) = 0;
};

}  // namespace convene::xmpp
