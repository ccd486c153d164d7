namespace FastAD.TestSupport;

/// <summary>A test class with its own temporary folder, created per test and removed afterwards.</summary>
public abstract class TempFolderTests(string prefix) : IDisposable
{
    /// <summary>This test's folder.</summary>
    protected string Folder { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>A path in <see cref="Folder"/>.</summary>
    protected string PathOf(string name) => Path.Combine(Folder, name);

    /// <inheritdoc />
    public void Dispose()
    {
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}
