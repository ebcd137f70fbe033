#include "cluster/peer_rpc.h"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <array>

#include "cluster/frames.h"
#include "util/log.h"

namespace convene::cluster {
namespace {

void serve_connection(std::shared_ptr<TlsStream> s, PeerHello from, PeerRpc::Handler handler) {
  read_frame(s, [s, from, handler](std::error_code ec, std::string request) {
    if (ec) {
      std::error_code e;
      s->lowest_layer().close(e);
      return;
    }
    auto replied = std::make_shared<std::atomic<bool>>(false);
    PeerRpc::Reply reply = [s, from, handler, replied](std::string response) {
      if (replied->exchange(true)) return;
      auto out = std::make_shared<std::string>(frame(response));
      asio::post(s->get_executor(), [s, from, handler, out] {
        asio::async_write(*s, asio::buffer(*out), [s, from, handler, out](std::error_code ec, size_t) {
          if (ec) {
            s->lowest_layer().close(ec);
            return;
          }
          serve_connection(s, from, handler);
        });
      });
    };
    handler(from, std::move(request), std::move(reply));
  });
}

}  // namespace

void PeerRpc::serve(Handler handler) {
  network_.on_accept(Channel::rpc, [handler](std::shared_ptr<TlsStream> s, PeerHello from) {
    serve_connection(std::move(s), std::move(from), handler);
  });
}

void PeerRpc::call(const std::string& address, std::string request, std::chrono::milliseconds timeout,
                   Done done) {
  struct Call {
    Done done;
    bool finished = false;
    std::shared_ptr<TlsStream> stream;
    std::unique_ptr<asio::steady_timer> timer;
    void finish(Result<std::string> r) {
      if (finished) return;
      finished = true;
      if (timer) timer->cancel();
      if (stream) {
        std::error_code ec;
        stream->lowest_layer().close(ec);
      }
      auto d = std::move(done);
      d(std::move(r));
    }
  };
  auto call = std::make_shared<Call>();
  call->done = std::move(done);
  auto out = std::make_shared<std::string>(frame(request));
  auto started = std::chrono::steady_clock::now();
  network_.dial(address, Channel::rpc, [this, call, out, timeout, started, address](Result<std::shared_ptr<TlsStream>> r) {
    if (!r) return call->finish(r.error());
    call->stream = *r;
    call->timer = std::make_unique<asio::steady_timer>(network_.io());
    call->timer->expires_at(started + timeout);
    call->timer->async_wait([call, address](std::error_code ec) {
      if (!ec) call->finish(make_error(ErrorCode::deadline_exceeded, "no answer from " + address + " in time"));
    });
    asio::async_write(*call->stream, asio::buffer(*out), [call, out, address](std::error_code ec, size_t) {
      if (ec) return call->finish(make_error("cannot send to " + address + ": " + ec.message()));
      read_frame(call->stream, [call, address](std::error_code ec, std::string response) {
        if (ec) return call->finish(make_error("no answer from " + address + ": " + ec.message()));
        call->finish(std::move(response));
      });
    });
  }, timeout);
}

}  // namespace convene::cluster
