using FastAD.Kernels.IO;
using FastAD.Trees;
using Xunit;

namespace FastAD.Trees.Tests;

/// <summary>Trees model files carry their identity and a checksum; damaged, older and other models' files are named on load (issue 14, item 5).</summary>
public sealed class ModelFileIntegrityTests : IDisposable
{
    private readonly string path = Path.Combine(Path.GetTempPath(), $"fastad-trees-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(path);

    private static readonly ModelIdentity Os = new("cathode", "OS", null, "00112233445566778899aabbccddeeff");

    private static Ensemble Small(ulong seed = 0)
    {
        var (names, cols, y) = PeerAucTests.Synthetic();
        var c = cols.Select(col => col[..600]).ToArray();
        var binner = QuantileBinner.Fit(names, c);
        var labels = y[..600].Select((v, i) => i < 200 ? 1.0 : 0.0).ToArray();
        return Ensemble.Train(binner, binner.Transform(c), labels, FoldRotation.Make(200, 100, 300), 2,
            BoostingParameters.Cathode with { MaxRounds = 4, Seed = seed });
    }

    /// <summary>The file's text with the first leaf value replaced by <paramref name="value"/>.</summary>
    private string WithFirstLeafValue(string value)
    {
        string text = File.ReadAllText(path);
        int start = text.IndexOf("\"value\":[", StringComparison.Ordinal) + "\"value\":[".Length;
        int end = text.IndexOfAny([',', ']'], start);
        return text[..start] + value + text[end..];
    }

    [Fact]
    public void TheIdentityRoundTripsAndTheSameEnsembleWritesTheSameBytes()
    {
        var e = Small();
        ModelFile.Save(path, e, Os);
        var bytes = File.ReadAllBytes(path);
        Assert.Contains("\"checksum\":\"sha256:", File.ReadAllText(path));
        var loaded = ModelFile.Load(path, Os);
        ModelFile.Save(path, loaded, Os);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void AFlippedDigitIsACorruptFile()
    {
        ModelFile.Save(path, Small(), Os);
        string text = File.ReadAllText(path);
        int digit = text.IndexOfAny("123456789".ToCharArray(), text.IndexOf("\"value\":[", StringComparison.Ordinal));
        File.WriteAllText(path, text[..digit] + (char)('1' + (text[digit] - '0') % 9) + text[(digit + 1)..]);
        var e = Assert.Throws<CorruptModelException>(() => ModelFile.Load(path, Os));
        Assert.StartsWith($"{path} is corrupt: its checksum does not match its content (saved sha256:", e.Message);
        Assert.Contains("expected cathode OS, inputs 001122334455", e.Message);
    }

    [Theory]
    [InlineData("1e999", "fold 0, member 0, tree 0: leaf value 0 is +Infinity")]
    [InlineData("\"NaN\"", "fold 0, member 0, tree 0: leaf value 0 is NaN")]
    public void ANonFiniteLeafIsACorruptFile(string value, string message)
    {
        ModelFile.Save(path, Small(), Os);
        File.WriteAllText(path, WithFirstLeafValue(value));
        var e = Assert.Throws<CorruptModelException>(() => ModelFile.Load(path));
        Assert.True(e.Message.StartsWith($"{path} is corrupt: {message}", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void ATruncatedFileIsCorrupt()
    {
        ModelFile.Save(path, Small(), Os);
        string text = File.ReadAllText(path);
        File.WriteAllText(path, text[..(text.Length * 2 / 3)]);
        var e = Assert.Throws<CorruptModelException>(() => ModelFile.Load(path));
        Assert.StartsWith($"{path} is corrupt: it is not valid JSON (truncated or damaged)", e.Message);
    }

    [Fact]
    public void AnotherChannelOrSeedIsNotThisModel()
    {
        ModelFile.Save(path, Small(), Os with { Channel = "SS" });
        var e = Assert.Throws<ModelMismatchException>(() => ModelFile.Load(path, Os));
        Assert.Equal($"{path} was trained for channel SS, not OS; expected cathode OS, inputs 001122334455.", e.Message);
        // Another seed is other inputs (the analyses' digests hold the seed).
        ModelFile.Save(path, Small(seed: 9), Os with { Inputs = "99887766554433221100" });
        e = Assert.Throws<ModelMismatchException>(() => ModelFile.Load(path, Os));
        Assert.Contains("was trained on other inputs (data, preprocessing, hyperparameters or seed: 998877665544, this run's 001122334455)", e.Message);
        ModelFile.Save(path, Small());
        e = Assert.Throws<ModelMismatchException>(() => ModelFile.Load(path, Os));
        Assert.Contains("carries no identity", e.Message);
        ModelFile.Load(path); // none expected: loads
    }

    [Fact]
    public void AVersionOneFileIsReportedAsWrittenByAnOlderFastAD()
    {
        ModelFile.Save(path, Small(), Os);
        // What an older FastAD wrote: version 1, no identity, no checksum.
        string text = File.ReadAllText(path).Replace("\"version\":2", "\"version\":1", StringComparison.Ordinal);
        File.WriteAllText(path, text);
        var e = Assert.Throws<ModelMismatchException>(() => ModelFile.Load(path, Os));
        Assert.Equal($"{path} was written by an older FastAD (trees format version 1, without identity or checksum); expected cathode OS, inputs 001122334455.", e.Message);
    }
}
