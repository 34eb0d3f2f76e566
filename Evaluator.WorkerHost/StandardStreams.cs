using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Evaluator.WorkerHost;

/// <summary>
/// Takes stdin and stdout for the frame streams before any user code loads. On Unix the frames move to private copies of file
/// descriptors 0 and 1, and 1 is pointed at stderr and 0 at /dev/null, so a run function (or a native library it calls) that
/// prints to stdout or reads stdin, by any route, cannot touch the frames. Elsewhere only Console.Out is redirected.
/// </summary>
internal static partial class StandardStreams
{
    public static (Stream Frames, Stream Results) Take()
    {
        var streams = OperatingSystem.IsWindows() ? (Console.OpenStandardInput(), Console.OpenStandardOutput()) : TakeDescriptors();
        // Console caches nothing for stdout yet, so its writes now land on stderr; AutoFlush keeps prints in step with logs.
        Console.SetOut(new StreamWriter(Console.OpenStandardError()) { AutoFlush = true });
        return streams;
    }

    private static (Stream Frames, Stream Results) TakeDescriptors()
    {
        var framesIn = Duplicate(0);
        var framesOut = Duplicate(1);
        Redirect(2, 1);
        var devNull = Open("/dev/null", 0 /* O_RDONLY */);
        Redirect(devNull, 0);
        Close(devNull);
        return (
            new FileStream(new SafeFileHandle(framesIn, ownsHandle: true), FileAccess.Read, bufferSize: 0),
            new FileStream(new SafeFileHandle(framesOut, ownsHandle: true), FileAccess.Write, bufferSize: 0));
    }

    private static nint Duplicate(int fd) => Check(Dup(fd), $"dup({fd})");

    private static void Redirect(nint from, int to) => Check(Dup2((int)from, to), $"dup2({from}, {to})");

    private static nint Check(int result, string call) =>
        result >= 0 ? result : throw new IOException($"{call} failed with errno {Marshal.GetLastPInvokeError()}.");

    private static void Close(nint fd) => CloseFd((int)fd);

    private static nint Open(string path, int flags) => Check(OpenFd(path, flags), $"open({path})");

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int from, int to);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFd(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int CloseFd(int fd);
}
