using System.Security.Cryptography;

namespace FastAD.Kernels.IO;

/// <summary>
/// What a saved model is: the analysis (or command) that trained it, its channel, its member or fold index in the
/// ensemble it belongs to, and a digest of its inputs (training data, preprocessing, hyperparameters and seed). Model
/// files carry it, so a file copied from another channel, member or run is recognised on load. It holds no time or
/// machine, so the same run writes the same bytes.
/// </summary>
/// <param name="Analysis">What trained it, e.g. <c>cathode</c>, <c>conrad</c>, <c>train-flow</c>.</param>
/// <param name="Channel">Its channel (<c>OS</c>, <c>SS</c>), or null when the analysis has none.</param>
/// <param name="Member">Its index in its ensemble (flow member, classifier name), or null for a file holding a whole ensemble.</param>
/// <param name="Inputs">Digest of everything it was trained from (hex).</param>
public sealed record ModelIdentity(string Analysis, string? Channel, string? Member, string Inputs)
{
    /// <summary>One line for messages, e.g. <c>cathode OS member 3, inputs 1a2b3c4d5e6f</c>.</summary>
    public override string ToString() =>
        $"{Analysis}{(Channel is null ? "" : $" {Channel}")}{(Member is null ? "" : $" member {Member}")}, inputs {Short(Inputs)}";

    /// <summary>How <paramref name="saved"/> differs from this (the expected identity), as the end of "FILE ...", or null when it is this.</summary>
    public string? Difference(ModelIdentity? saved)
    {
        if (saved is null) return "carries no identity (analysis, channel, member, inputs)";
        if (saved.Analysis != Analysis) return $"was trained by {saved.Analysis}, not {Analysis}";
        if (saved.Channel != Channel) return $"was trained for channel {saved.Channel ?? "(none)"}, not {Channel ?? "(none)"}";
        if (saved.Member != Member) return $"was trained as member {saved.Member ?? "(none)"}, not {Member ?? "(none)"}";
        if (saved.Inputs != Inputs)
            return $"was trained on other inputs (data, preprocessing, hyperparameters or seed: {Short(saved.Inputs)}, this run's {Short(Inputs)})";
        return null;
    }

    private static string Short(string digest) => digest.Length > 12 ? digest[..12] : digest;
}

/// <summary>A model file that cannot be used: corrupt, of an older format, or not the model expected (an IOException, as
/// <see cref="InvalidDataException"/> is sealed).</summary>
public abstract class ModelFileException(string path, string reason, string? expected, string? hint)
    : IOException($"{path} {reason.TrimEnd('.')}{(expected is null ? "" : $"; expected {expected}")}.{(hint is null ? "" : $" {hint}")}")
{
    /// <summary>The file.</summary>
    public string FilePath { get; } = path;
    /// <summary>What is wrong, to follow the file name ("is corrupt: ...", "was trained for channel SS, not OS").</summary>
    public string Reason { get; } = reason.TrimEnd('.');
    /// <summary>The model that was expected (null when any was).</summary>
    public string? Expected { get; } = expected;

    /// <summary>The same error with <paramref name="hint"/> (what to do about it) after the message.</summary>
    public abstract ModelFileException WithHint(string hint);
}

/// <summary>The file is damaged: truncated, its checksum does not match its content, or it holds non-finite numbers.</summary>
public sealed class CorruptModelException(string path, string reason, string? expected = null, string? hint = null)
    : ModelFileException(path, $"is corrupt: {reason}", expected, hint)
{
    private readonly string _reason = reason;

    /// <inheritdoc/>
    public override ModelFileException WithHint(string hint) => new CorruptModelException(FilePath, _reason, Expected, hint);
}

/// <summary>The file is intact but not the model expected (other analysis, channel, member or inputs), or written by an older FastAD.</summary>
public sealed class ModelMismatchException(string path, string reason, string? expected = null, string? hint = null)
    : ModelFileException(path, reason, expected, hint)
{
    /// <inheritdoc/>
    public override ModelFileException WithHint(string hint) => new ModelMismatchException(FilePath, Reason, Expected, hint);
}

/// <summary>SHA-256 checksums of model file content, and the checks every model file format makes on load.</summary>
public static class ModelChecksum
{
    /// <summary><c>sha256:</c> and the lower-case hex digest of <paramref name="content"/>.</summary>
    public static string Of(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();

    /// <summary>A checksum shortened for messages.</summary>
    public static string Short(string checksum) => checksum.Length > 19 ? checksum[..19] + "…" : checksum;

    /// <summary>Throws <see cref="CorruptModelException"/> when the saved checksum is missing or does not match the content's.</summary>
    public static void Check(string path, string? saved, string actual, ModelIdentity? expected)
    {
        if (saved is null) throw new CorruptModelException(path, "it has no checksum", expected?.ToString());
        if (actual != saved)
            throw new CorruptModelException(path, $"its checksum does not match its content (saved {Short(saved)}, computed {Short(actual)})", expected?.ToString());
    }

    /// <summary>
    /// The error for a model file that is not valid JSON: corrupt (truncated or damaged) when it is a model slot of a
    /// run (<paramref name="expected"/> given) or starts as a file of this <paramref name="format"/>; otherwise not a model file at all.
    /// </summary>
    public static Exception NotJson(string path, string text, string format, string kind, ModelIdentity? expected, string error)
    {
        if (expected is not null || (text.TrimStart().StartsWith('{') && text.Contains($"\"{format}\"", StringComparison.Ordinal)))
            return new CorruptModelException(path, $"it is not valid JSON (truncated or damaged): {error}", expected?.ToString());
        return new InvalidDataException($"{path} is not a FastAD {kind} file: {error}");
    }

    /// <summary>
    /// The error for a model file of another format: in a run's model slot (<paramref name="expected"/> given) another
    /// FastAD model (a trees file over a flow file) is a mismatch the run retrains; anything else is not a model file of this kind.
    /// </summary>
    public static Exception OtherFormat(string path, string? found, string kind, string wanted, ModelIdentity? expected)
    {
        if (expected is not null && found is not null && found.StartsWith("fastad-", StringComparison.Ordinal))
            return new ModelMismatchException(path, $"is a {found} file, not a {kind} file", expected.ToString());
        return new InvalidDataException($"{path} is not a FastAD {kind} file (format '{found}'; {wanted}).");
    }
}
