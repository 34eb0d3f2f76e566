using Evaluator.Core.Protocol;
using MessagePack;

namespace Evaluator.Tests.Protocol;

[CancelAfter(10_000)]
public class MessageSpecs
{
    private static IEnumerable<TestCaseData> Messages() =>
        Samples.Messages.Select(sample => new TestCaseData(sample.Message).SetArgDisplayNames(sample.Name));

    // Test parameters are object because a public test method cannot name internal types.
    [TestCaseSource(nameof(Messages))]
    public void Every_message_round_trips_with_all_its_fields(object message)
    {
        Frames.AssertSameContents(Frames.RoundTrip((Message)message), (Message)message);
    }

    [Test]
    public void Every_message_kind_has_a_round_trip_case()
    {
        var covered = Samples.Messages.Select(sample => sample.Message.Kind).Distinct();

        Assert.That(covered, Is.EquivalentTo(Enum.GetValues<MessageKind>()));
    }

    [Test]
    public void Plain_values_read_back_as_long_double_object_arrays_and_dictionaries()
    {
        var run = (Run)Frames.RoundTrip(new Run(1, "j", Samples.Nested));
        var parameters = run.Parameters;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(parameters, Is.TypeOf<Dictionary<string, object?>>());
            Assert.That(parameters["int"], Is.TypeOf<long>());
            Assert.That(parameters["float"], Is.TypeOf<double>());
            Assert.That(parameters["bytes"], Is.TypeOf<byte[]>());
            Assert.That(parameters["list"], Is.TypeOf<object?[]>());
            Assert.That(((object?[])parameters["list"]!)[3], Is.TypeOf<object?[]>());
            Assert.That(parameters["map"], Is.TypeOf<Dictionary<string, object?>>());
        }
    }

    [Test]
    public void The_protocol_options_resolve_messages_through_the_hand_written_formatter()
    {
        var message = new Run(5, "s.5", Samples.Nested);

        byte[] bytes = MessagePackSerializer.Serialize<Message>(message, WireFormat.Options);

        Frames.AssertSameContents(MessagePackSerializer.Deserialize<Message>(bytes, WireFormat.Options), message);
    }

    [Test]
    public void An_unknown_kind_is_a_protocol_error()
    {
        byte[] frame = Frames.Raw((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(1);
            w.Write((byte)99);
        });

        var error = Assert.Throws<ProtocolException>(() => Frames.DecodeAll(frame));

        Assert.That(error.Message, Does.Contain("kind 99 is unknown"));
    }

    private static IEnumerable<TestCaseData> MalformedPayloads()
    {
        TestCaseData Case(Frames.Build build, string name) => new TestCaseData(build).SetArgDisplayNames(name);

        yield return Case((ref MessagePackWriter w) => w.WriteArrayHeader(0), "an empty array");
        yield return Case((ref MessagePackWriter w) => w.Write("Run"), "a string instead of an array");
        yield return Case((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(2);
            w.Write((byte)MessageKind.Run);
            w.Write(1L);
        }, "a Run with too few fields");
        yield return Case((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(2);
            w.Write((byte)MessageKind.Log);
            w.WriteNil();
        }, "nil where a string is needed");
        yield return Case((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(2);
            w.Write((byte)MessageKind.Cancel);
            w.Write(ulong.MaxValue);
        }, "a ticket out of range");
        yield return Case((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(1);
            w.Write((byte)MessageKind.Shutdown);
            w.Write(0);
        }, "bytes after the message");
        yield return Case((ref MessagePackWriter w) => RunWith(ref w, (ref MessagePackWriter p) =>
        {
            p.WriteMapHeader(1);
            p.Write(1);
            p.Write(2);
        }), "a map with an integer key");
        yield return Case((ref MessagePackWriter w) => RunWith(ref w, (ref MessagePackWriter p) =>
        {
            p.WriteMapHeader(2);
            p.Write("a");
            p.Write(1);
            p.Write("a");
            p.Write(2);
        }), "a map with a duplicate key");
        yield return Case((ref MessagePackWriter w) => RunWith(ref w, (ref MessagePackWriter p) =>
        {
            p.WriteMapHeader(1);
            p.Write("when");
            p.WriteExtensionFormat(new ExtensionResult(-1, new byte[4]));
        }), "an extension value");
        yield return Case((ref MessagePackWriter w) => RunWith(ref w, (ref MessagePackWriter p) =>
        {
            p.WriteMapHeader(1);
            p.Write("deep");
            for (int i = 0; i < WireFormat.MaxNesting; i++)
                p.WriteArrayHeader(1);
            p.WriteNil();
        }), "lists nested one level too deep");
        yield return Case((ref MessagePackWriter w) => RunWith(ref w, (ref MessagePackWriter p) =>
        {
            p.WriteMapHeader(1);
            p.Write("list");
            p.WriteArrayHeader(1_000_000);
        }), "an array header claiming more items than bytes");
    }

    private static void RunWith(ref MessagePackWriter writer, Frames.Build parameters)
    {
        writer.WriteArrayHeader(4);
        writer.Write((byte)MessageKind.Run);
        writer.Write(1L);
        writer.Write("job");
        parameters(ref writer);
    }

    [TestCaseSource(nameof(MalformedPayloads))]
    public void A_malformed_payload_is_a_protocol_error(object build)
    {
        byte[] frame = Frames.Raw((Frames.Build)build);

        var error = Assert.Throws<ProtocolException>(() => Frames.DecodeAll(frame));

        Assert.That(error.Message, Does.EndWith("."));
    }

    [Test]
    public void Lists_and_maps_nested_to_the_limit_round_trip()
    {
        object? value = "bottom";
        for (int i = 1; i < WireFormat.MaxNesting; i++)
            value = i % 2 == 0 ? new object?[] { value } : new Dictionary<string, object?> { ["k"] = value };
        var run = new Run(1, "j", new Dictionary<string, object?> { ["deep"] = value });

        Frames.AssertSameContents(Frames.RoundTrip(run), run);
    }
}
