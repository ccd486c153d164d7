using System.Text;

namespace FastAD.Cli;

/// <summary>A write to standard output or standard error failed (closed pipe, full disk, closed descriptor).</summary>
internal sealed class StandardStreamException(string stream, Exception inner)
    : IOException($"cannot write to {stream} ({inner.Message.TrimEnd('.')}): is it closed, or is the disk behind it full?", inner)
{
    /// <summary>True when standard error itself failed (then nothing can be reported).</summary>
    internal bool IsError { get; } = stream == "standard error";
}

/// <summary>
/// Wraps the process's standard output or error so that a failed write surfaces as one <see cref="StandardStreamException"/>
/// naming the stream, which the command tree turns into an exit code instead of an unhandled exception.
/// </summary>
internal sealed class StandardStreamWriter(TextWriter inner, string name) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    public override string NewLine
    {
        get => inner.NewLine;
#pragma warning disable CS8765 // the base property is declared with a nullable setter
        set => inner.NewLine = value;
#pragma warning restore CS8765
    }

    public override void Write(char value) => Guard(() => inner.Write(value));

    public override void Write(char[] buffer, int index, int count) => Guard(() => inner.Write(buffer, index, count));

    public override void Write(string? value) => Guard(() => inner.Write(value));

    public override void WriteLine(string? value) => Guard(() => inner.WriteLine(value));

    public override void Flush() => Guard(inner.Flush);

    private void Guard(Action write)
    {
        try
        {
            write();
        }
        catch (IOException e) when (e is not StandardStreamException)
        {
            throw new StandardStreamException(name, e);
        }
        catch (UnauthorizedAccessException e)
        {
            // A closed descriptor (`>&-`) fails with EBADF, which .NET reports as access denied.
            throw new StandardStreamException(name, e);
        }
    }
}
