using Vlm.Datasets.IO;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.IO;

/// <summary>A folder written through <see cref="AtomicFolder"/> is the old one or the complete new one.</summary>
public sealed class AtomicFolderTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void A_write_replaces_the_folder_whole_and_leaves_no_temporary_folder()
    {
        string folder = _root.File("model");
        AtomicFolder.Write(folder, temp => File.WriteAllText(Path.Combine(temp, "a.txt"), "old"));
        AtomicFolder.Write(folder, temp => File.WriteAllText(Path.Combine(temp, "b.txt"), "new"));
        Assert.Equal(["b.txt"], Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Equal(["model"], Directory.GetDirectories(_root.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_write_leaves_the_older_folder_untouched_and_removes_its_partial_one()
    {
        string folder = _root.File("model");
        AtomicFolder.Write(folder, temp => File.WriteAllText(Path.Combine(temp, "a.txt"), "old"));
        var e = Assert.Throws<IOException>(() => AtomicFolder.Write(folder, temp =>
        {
            File.WriteAllText(Path.Combine(temp, "half.txt"), "half");
            throw new IOException("No space left on device");
        }));
        Assert.Equal("No space left on device", e.Message);
        Assert.Equal("old", File.ReadAllText(Path.Combine(folder, "a.txt")));
        Assert.Equal(["model"], Directory.GetDirectories(_root.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_temporary_folder_left_by_a_killed_writer_is_cleared_first()
    {
        string folder = _root.File("model");
        Directory.CreateDirectory(folder + AtomicFolder.TempSuffix);
        File.WriteAllText(Path.Combine(folder + AtomicFolder.TempSuffix, "stale.txt"), "from a killed run");
        AtomicFolder.Write(folder, temp => File.WriteAllText(Path.Combine(temp, "a.txt"), "new"));
        Assert.Equal(["a.txt"], Directory.GetFiles(folder).Select(Path.GetFileName));
    }
}
