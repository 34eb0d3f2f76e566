// The worker process of the loky backend: stdin carries frames in, stdout frames out, stderr logs.
// Console.Out is pointed at stderr before any user code loads, so a run function's prints cannot corrupt the frame stream.
using Evaluator.WorkerHost;

var frames = Console.OpenStandardOutput();
Console.SetOut(new StreamWriter(Console.OpenStandardError()) { AutoFlush = true });
return new Worker(Console.OpenStandardInput(), frames).Run();
