using System.Buffers.Binary;
using Evaluator.Core.Protocol;

namespace Evaluator.Tests.Protocol;

// Whatever a broken or hostile peer sends, a read ends in a message, null or ProtocolException:
// never another exception, a hang, or an allocation the bytes do not pay for.
[Category("Fuzz")]
[CancelAfter(60_000)]
public class FuzzSpecs
{
    private const int Cases = 10_000;
    private const int Seed = 20_260_101;

    // Far below what one trusted forged length (up to 256 MiB, claimed by 1 random header in 16) would cost.
    private const long AllocationBudget = Cases * 16L * 1024;

    // Codes that claim lengths, counts or wide values: where a reader's trust gets tested.
    private static readonly byte[] InterestingCodes = [0xc0, 0xc4, 0xc6, 0xcf, 0xd3, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0x9f, 0x8f, 0xff, 0x7f];

    private static readonly byte[][] ValidFrames = Samples.Messages.Select(sample => Frames.Encode(sample.Message)).ToArray();

    [Test]
    public void Random_bytes_read_as_messages_null_or_protocol_errors()
    {
        var random = new Random(Seed);
        var outcomes = new Outcomes();

        for (int i = 0; i < Cases; i++)
        {
            byte[] bytes = new byte[random.Next(0, 80)];
            random.NextBytes(bytes);
            // Half the cases carry their true length, so their payload reaches the deserialiser.
            if (i % 2 == 0 && bytes.Length > 4)
                BinaryPrimitives.WriteInt32LittleEndian(bytes, bytes.Length - 4);
            outcomes.ReadAll(i, bytes);
        }

        outcomes.AssertBounded(expectMessages: false);
    }

    [Test]
    public void Mutated_valid_frames_read_as_messages_null_or_protocol_errors()
    {
        var random = new Random(Seed);
        var outcomes = new Outcomes();

        for (int i = 0; i < Cases; i++)
            outcomes.ReadAll(i, Mutate(random));

        outcomes.AssertBounded(expectMessages: true);
    }

    private static byte[] Mutate(Random random)
    {
        var bytes = ValidFrames[random.Next(ValidFrames.Length)]
            .Concat(ValidFrames[random.Next(ValidFrames.Length)])
            .ToArray();
        int at = random.Next(bytes.Length);
        switch (random.Next(6))
        {
            case 0:
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1:
                return bytes[..at];
            case 2:
                BinaryPrimitives.WriteInt32LittleEndian(bytes, random.Next(2) == 0 ? random.Next() : bytes.Length + random.Next(-12, 12));
                return bytes;
            case 3:
                bytes[Math.Max(at, 4)] = InterestingCodes[random.Next(InterestingCodes.Length)];
                return bytes;
            case 4:
                var noise = new byte[random.Next(1, 16)];
                random.NextBytes(noise);
                return [.. bytes[..at], .. noise, .. bytes[at..]];
            default:
                return bytes; // Some cases stay valid, so the fuzzer also proves it can succeed.
        }
    }

    private sealed class Outcomes
    {
        private readonly long _allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        private int _messages;
        private int _cleanEnds;
        private int _protocolErrors;

        // A MemoryStream ends where its bytes do: a reader that kept waiting past the end would hang here, and CancelAfter would fail the test.
        public void ReadAll(int caseNumber, byte[] bytes)
        {
            var reader = new FrameReader(new MemoryStream(bytes));
            try
            {
                while (reader.Read() is not null)
                    _messages++;
                _cleanEnds++;
            }
            catch (ProtocolException)
            {
                _protocolErrors++;
            }
            catch (Exception exception)
            {
                Assert.Fail($"Case {caseNumber} (seed {Seed}) threw {exception.GetType()} for bytes {Convert.ToHexString(bytes)}: {exception}");
            }
        }

        public void AssertBounded(bool expectMessages)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread() - _allocatedBefore;
            TestContext.Out.WriteLine($"{_messages} messages, {_cleanEnds} clean ends, {_protocolErrors} protocol errors, {allocated / 1024} KiB allocated.");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(allocated, Is.LessThan(AllocationBudget));
                Assert.That(_protocolErrors, Is.Positive);
                Assert.That(_cleanEnds, Is.Positive);
                if (expectMessages)
                    Assert.That(_messages, Is.Positive);
            }
        }
    }
}
