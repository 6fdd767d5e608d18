#include "inferload/scenario/measured_program.hpp"

namespace inferload::scenario {

void MeasuredProgram::prepare(int workers) {
  measures_.clear();
  for (int i = 0; i < workers; ++i) measures_.push_back(std::make_unique<WorkerMeasures>());
}

ProtocolShard MeasuredProgram::totals() const {
  ProtocolShard t;
  for (const auto& m : measures_) t.merge(m->metrics);
  return t;
}

std::uint64_t MeasuredProgram::grpc_connections_opened() const {
  std::uint64_t n = 0;
  for (const auto& m : measures_) n += m->grpc_connections_opened;
  return n;
}

HandshakeCounts MeasuredProgram::tls_handshakes() const {
  HandshakeCounts n;
  for (const auto& m : measures_) {
    n.full += m->tls_full_handshakes;
    n.resumed += m->tls_resumed_handshakes;
  }
  return n;
}

}  // namespace inferload::scenario
