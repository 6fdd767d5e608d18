#pragma once
// A scenario program whose workers record each protocol's metrics, one WorkerMeasures per
// worker: what the report reads from every program after the run, whatever its iterations do.
#include <cstdint>
#include <memory>
#include <vector>

#include "inferload/load/program.hpp"
#include "inferload/scenario/protocol_metrics.hpp"
#include "inferload/tls/secure_socket.hpp"

namespace inferload::scenario {

// Written by its worker's thread only, read after the run.
struct WorkerMeasures {
  ProtocolShard metrics;
  std::uint64_t grpc_connections_opened = 0;  // the data plane's
  // The data plane's TLS handshakes, added by each connector's owner as it goes.
  std::uint64_t tls_full_handshakes = 0, tls_resumed_handshakes = 0;
  void count_handshakes(const tls::Connector* c) noexcept {
    if (!c) return;
    tls_full_handshakes += c->full_handshakes();
    tls_resumed_handshakes += c->resumed_handshakes();
  }
};

struct HandshakeCounts {
  std::uint64_t full = 0, resumed = 0;
};

class MeasuredProgram : public load::Program {
 public:
  void prepare(int workers) override;

  // After the run: every worker's metrics, merged.
  ProtocolShard totals() const;
  std::uint64_t grpc_connections_opened() const;
  HandshakeCounts tls_handshakes() const;

 protected:
  WorkerMeasures& measures(int worker) { return *measures_[static_cast<std::size_t>(worker)]; }

 private:
  std::vector<std::unique_ptr<WorkerMeasures>> measures_;
};

}  // namespace inferload::scenario
