using System.Text.Json;
using FastAD.Flows;
using FastAD.Kernels.IO;
using FastAD.Kernels.Random;
using Xunit;

namespace FastAD.Flows.Tests;

/// <summary>Flow files carry their identity and a checksum; damaged, older and other models' files are named on load (issue 14, item 5).</summary>
public sealed class FlowFileIntegrityTests : IDisposable
{
    private readonly string path = Path.Combine(Path.GetTempPath(), $"fastad-flow-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(path);

    private static readonly ModelIdentity Os3 = new("cathode", "OS", "3", "00112233445566778899aabbccddeeff");

    private static Spec13AffineMaf Flow()
    {
        var flow = new Spec13AffineMaf(3, 1, 6, 2, seed: 7);
        var x = new double[30];
        var c = new double[10];
        Philox4x32.FillNormal(x, 7, 1);
        Philox4x32.FillNormal(c, 7, 2);
        flow.UpdateRunningStatistics(x, c, 10);
        return flow;
    }

    /// <summary>The file's text with the first number of the first parameter array replaced by <paramref name="value"/>.</summary>
    private string WithFirstParameter(string value)
    {
        string text = File.ReadAllText(path);
        int start = text.IndexOf("\"parameters\":[[", StringComparison.Ordinal) + "\"parameters\":[[".Length;
        int end = text.IndexOfAny([',', ']'], start);
        return text[..start] + value + text[end..];
    }

    [Fact]
    public void TheIdentityRoundTripsAndTheSameFlowWritesTheSameBytes()
    {
        FlowFile.Save(path, Flow(), identity: Os3);
        var bytes = File.ReadAllBytes(path);
        var saved = FlowFile.LoadSaved(path, Os3);
        Assert.Equal(Os3, saved.Identity);
        Assert.Contains("\"checksum\":\"sha256:", File.ReadAllText(path));
        FlowFile.Save(path, Flow(), identity: Os3);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        // Re-saving what was loaded gives the same bytes: the checksum is over the content, which loading keeps exactly.
        FlowFile.Save(path, (Spec13AffineMaf)saved.Ensemble.Members[0], identity: Os3);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void InARunsModelSlotAZeroedFileIsCorruptAndATreesFileAMismatch()
    {
        // What a crash can leave: the file's blocks allocated but never written.
        File.WriteAllBytes(path, new byte[4096]);
        var zeroed = Assert.Throws<CorruptModelException>(() => FlowFile.LoadSaved(path, Os3));
        Assert.Contains("not valid JSON", zeroed.Message);
        // Without an expected identity (a file the user names) it is simply not a flow file.
        Assert.Contains("is not a FastAD flow file", Assert.Throws<InvalidDataException>(() => FlowFile.LoadSaved(path)).Message);
        File.WriteAllText(path, "{\"format\": \"fastad-trees\", \"version\": 2}");
        var other = Assert.Throws<ModelMismatchException>(() => FlowFile.LoadSaved(path, Os3));
        Assert.Contains("is a fastad-trees file, not a flow file", other.Message);
        // A file FastAD did not write stops the run rather than being overwritten.
        File.WriteAllText(path, "{\"format\": \"something-else\"}");
        Assert.Throws<InvalidDataException>(() => FlowFile.LoadSaved(path, Os3));
    }

    [Fact]
    public void AFlippedDigitIsACorruptFile()
    {
        FlowFile.Save(path, Flow(), identity: Os3);
        string text = File.ReadAllText(path);
        int start = text.IndexOf("\"parameters\":[[", StringComparison.Ordinal);
        int digit = text.IndexOfAny("123456789".ToCharArray(), start);
        File.WriteAllText(path, text[..digit] + (char)('1' + (text[digit] - '0') % 9) + text[(digit + 1)..]);
        var e = Assert.Throws<CorruptModelException>(() => FlowFile.Load(path, Os3));
        Assert.StartsWith($"{path} is corrupt: its checksum does not match its content (saved sha256:", e.Message);
        Assert.Contains("expected cathode OS member 3, inputs 001122334455", e.Message);
        // Without an expected identity too (a file the user names).
        Assert.Throws<CorruptModelException>(() => FlowFile.LoadSaved(path));
    }

    [Theory]
    [InlineData("1e999", "parameter array 0, value 0 is +Infinity")]
    [InlineData("-1e999", "parameter array 0, value 0 is -Infinity")]
    [InlineData("\"NaN\"", "parameter array 0, value 0 is NaN")]
    [InlineData("\"Infinity\"", "parameter array 0, value 0 is +Infinity")]
    [InlineData("Infinity", "it is not valid JSON (truncated or damaged)")]
    public void ANonFiniteWeightIsACorruptFile(string value, string message)
    {
        FlowFile.Save(path, Flow(), identity: Os3);
        File.WriteAllText(path, WithFirstParameter(value));
        var e = Assert.Throws<CorruptModelException>(() => FlowFile.LoadSaved(path));
        Assert.StartsWith($"{path} is corrupt: ", e.Message);
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void ANonFiniteWeightIsNotSaved()
    {
        var flow = Flow();
        flow.Parameters().First().Value[2] = double.NaN;
        var e = Assert.Throws<ArgumentException>(() => FlowFile.Save(path, flow, identity: Os3));
        Assert.Contains("parameter array 0, value 2 is NaN", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void ATruncatedFileIsCorrupt()
    {
        FlowFile.Save(path, Flow(), identity: Os3);
        string text = File.ReadAllText(path);
        File.WriteAllText(path, text[..(text.Length / 2)]);
        var e = Assert.Throws<CorruptModelException>(() => FlowFile.LoadSaved(path));
        Assert.StartsWith($"{path} is corrupt: it is not valid JSON (truncated or damaged)", e.Message);
    }

    [Fact]
    public void AnotherChannelMemberOrInputsIsNotThisModel()
    {
        FlowFile.Save(path, Flow(), identity: Os3 with { Channel = "SS" });
        var e = Assert.Throws<ModelMismatchException>(() => FlowFile.Load(path, Os3));
        Assert.Equal($"{path} was trained for channel SS, not OS; expected cathode OS member 3, inputs 001122334455.", e.Message);
        Assert.Equal("was trained for channel SS, not OS", e.Reason);

        FlowFile.Save(path, Flow(), identity: Os3 with { Member = "1" });
        e = Assert.Throws<ModelMismatchException>(() => FlowFile.Load(path, Os3));
        Assert.Contains("was trained as member 1, not 3", e.Message);

        FlowFile.Save(path, Flow(), identity: Os3 with { Inputs = "ffeeddccbbaa99887766" });
        e = Assert.Throws<ModelMismatchException>(() => FlowFile.Load(path, Os3));
        Assert.Contains("was trained on other inputs (data, preprocessing, hyperparameters or seed: ffeeddccbbaa, this run's 001122334455)", e.Message);

        FlowFile.Save(path, Flow(), identity: Os3 with { Analysis = "conrad" });
        e = Assert.Throws<ModelMismatchException>(() => FlowFile.Load(path, Os3));
        Assert.Contains("was trained by conrad, not cathode", e.Message);

        FlowFile.Save(path, Flow());
        e = Assert.Throws<ModelMismatchException>(() => FlowFile.Load(path, Os3));
        Assert.Contains("carries no identity", e.Message);
        // A file without identity still loads where none is expected.
        Assert.Null(FlowFile.LoadSaved(path).Identity);
    }

    [Fact]
    public void AVersionTwoFileIsReportedAsWrittenByAnOlderFastAD()
    {
        var flow = Flow();
        var v2 = new
        {
            format = "fastad-flow", version = 2,
            members = new[] { new { kind = "affine-spec13", features = 3, conditions = 1, hidden = 6, blocks = 2,
                parameters = flow.Parameters().Select(p => p.Value).ToArray(), state = flow.State().ToArray() } },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(v2));
        var e = Assert.Throws<ModelMismatchException>(() => FlowFile.Load(path, Os3));
        Assert.Equal($"{path} was written by an older FastAD (flow format version 2, without identity or checksum); expected cathode OS member 3, inputs 001122334455.",
            e.Message);
        e = Assert.Throws<ModelMismatchException>(() => FlowFile.LoadSaved(path));
        Assert.EndsWith("; expected flow format version 3.", e.Message);
    }
}
