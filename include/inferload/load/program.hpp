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

#include "inferload/load/execution_segment.hpp"
#include "inferload/load/shard.hpp"
#include "inferload/runtime/clock.hpp"
#include "inferload/runtime/reactor.hpp"
#include "inferload/runtime/task.hpp"

namespace inferload::load {

using runtime::Nanos;

enum class IterationEnd : std::uint8_t {
  completed,         // every call of the iteration was made and recorded
  interrupted,       // a hard stop cut it short: the VU ends
  out_of_resources,  // the process ran out of sockets: the VU pauses before the next one
};

// When an iteration was meant to start. Arrival-rate executors start iterations on a schedule:
// a request's latency measured from its iteration's intended start shows the time it waited for
// a late driver or a stalled server, which the latency from its own send hides (coordinated
// omission). Closed-loop executors have no schedule.
struct IterationStart {
  Nanos intended = 0;  // absolute (the reactor's clock); meaningful only when scheduled
  bool scheduled = false;
};

class VuProgram {
 public:
  virtual ~VuProgram() = default;
  // One iteration. Never throws: failures are recorded as metrics by the program.
  virtual runtime::Task<IterationEnd> iterate(const IterationStart& start) = 0;
  // Before the clock starts, when the run asks for it (--preconnect): opens the connections the
  // VU's iterations will use, unmeasured, so that the first iterations (a burst of them after a
  // stall) do not each pay a handshake. True when they are open (or the VU has none of its own);
  // a failure is left for the first iteration to meet and record.
  virtual runtime::Task<bool> connect(Nanos deadline) {
    (void)deadline;
    co_return true;
  }
};

// Who a VU is: k6's __VU, and the tag its waits' timers carry so that the worker can interrupt
// this VU alone (runtime::TimerQueue::fire_interrupted_if).
struct VuIdentity {
  int number = 0;           // counts from 1 within the scenario, as k6's __VU
  // k6's exec.vu.idInTest: unique across the processes that split a test into segments; the
  // same as `number` when the test is not split.
  int id_in_test = 0;
  std::uint32_t owner = 0;  // never 0
};

struct WorkerContext {
  runtime::Reactor& reactor;
  Shard& shard;  // the worker's iteration and request counters, which the progress line reads
  int index;     // 0 .. workers-1
  // The scenario's iteration numbers (k6's scenario.iterationInTest) in this process's segment:
  // the process's n-th iteration (from 0) is global_index(n).
  const SegmentShare& iterations;
};

class WorkerProgram {
 public:
  virtual ~WorkerProgram() = default;
  virtual std::unique_ptr<VuProgram> make_vu(const VuIdentity& vu) = 0;
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
