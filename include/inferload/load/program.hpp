#pragma once
// What the engine runs, seen from the engine: it decides when a VU starts an iteration, and the
// program decides what the iteration does (which model, which protocol, how many calls). The
// engine knows no protocol; a program knows no executor.
//
// Lifetimes follow the workers: a WorkerProgram is made on its worker's thread before its VUs
// start and destroyed there after the last of them has ended (its connections belong to that
// worker's reactor); a VuProgram lives as long as its VU.
#include <cstdint>
#include <memory>

#include "inferload/load/shard.hpp"
#include "inferload/runtime/reactor.hpp"
#include "inferload/runtime/task.hpp"

namespace inferload::load {

enum class IterationEnd : std::uint8_t {
  completed,         // every call of the iteration was made and recorded
  interrupted,       // a hard stop cut it short: the VU ends
  out_of_resources,  // the process ran out of sockets: the VU pauses before the next one
};

class VuProgram {
 public:
  virtual ~VuProgram() = default;
  // One iteration. Never throws: failures are recorded as metrics by the program.
  virtual runtime::Task<IterationEnd> iterate() = 0;
};

struct WorkerContext {
  runtime::Reactor& reactor;
  Shard& shard;  // the worker's iteration and request counters, which the progress line reads
  int index;     // 0 .. workers-1
};

class WorkerProgram {
 public:
  virtual ~WorkerProgram() = default;
  // vu_number counts from 1, as k6's __VU does.
  virtual std::unique_ptr<VuProgram> make_vu(int vu_number) = 0;
  // Before the worker's VUs start: time to open connections. Bounded by the program itself.
  virtual runtime::Task<void> start() { co_return; }
  // After the worker's last VU has ended, before the program is destroyed: time to close
  // connections politely (their last frames written). Bounded by the program itself.
  virtual runtime::Task<void> finish() { co_return; }
};

class Program {
 public:
  virtual ~Program() = default;
  // Called once, before any worker starts, with the number of workers the run will have.
  virtual void prepare(int workers) = 0;
  // Called on worker ctx.index's thread.
  virtual std::unique_ptr<WorkerProgram> make_worker(const WorkerContext& ctx) = 0;
};

}  // namespace inferload::load
