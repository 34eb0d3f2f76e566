// The worker process of the loky backend: stdin carries frames in, stdout frames out, stderr logs.
// The frame streams are taken before any user code loads, so a run function's prints cannot corrupt them.
using Evaluator.WorkerHost;

var (frames, results) = StandardStreams.Take();
return new Worker(frames, results).Run();
