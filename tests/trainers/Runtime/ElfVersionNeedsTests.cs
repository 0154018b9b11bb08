using Vlm.NativeFix;

namespace Vlm.Tests.Trainers.Runtime;

/// <summary>The ELF edit behind the build's native fix, run on TorchSharp's own library.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ElfVersionNeedsTests
{
    const string StdCxx = "libstdc++.so.6";

    static string PackageLibrary()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    static HashSet<string> HostWithout(string version)
    {
        var all = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(PackageLibrary())).Where(n => n.File == StdCxx).Select(n => n.Version);
        return all.Where(v => v != version).ToHashSet();
    }

    [Fact]
    public void The_package_copy_is_never_modified_by_the_build()
    {
        var need = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(PackageLibrary())).Single(n => n.Version == "GLIBCXX_3.4.32");
        Assert.False(need.Weak);
    }

    [Fact]
    public void Weakening_marks_only_the_missing_version()
    {
        var elf = File.ReadAllBytes(PackageLibrary());
        var done = ElfVersionNeeds.WeakenUnmet(elf, StdCxx, HostWithout("GLIBCXX_3.4.32"));
        Assert.Equal(new[] { "GLIBCXX_3.4.32" }, done);
        var weak = ElfVersionNeeds.ReadNeeds(elf).Where(n => n.Weak).Select(n => n.Version);
        Assert.Equal(new[] { "GLIBCXX_3.4.32" }, weak);
    }

    [Fact]
    public void Weakening_twice_changes_nothing_the_second_time()
    {
        var elf = File.ReadAllBytes(PackageLibrary());
        ElfVersionNeeds.WeakenUnmet(elf, StdCxx, HostWithout("GLIBCXX_3.4.32"));
        var once = (byte[])elf.Clone();
        Assert.Empty(ElfVersionNeeds.WeakenUnmet(elf, StdCxx, HostWithout("GLIBCXX_3.4.32")));
        Assert.Equal(once, elf);
    }

    [Fact]
    public void Nothing_changes_on_a_host_that_has_every_version()
    {
        var original = File.ReadAllBytes(PackageLibrary());
        var elf = (byte[])original.Clone();
        var everything = ElfVersionNeeds.ReadNeeds(elf).Select(n => n.Version).ToHashSet();
        Assert.Empty(ElfVersionNeeds.WeakenUnmet(elf, StdCxx, everything));
        Assert.Equal(original, elf);
    }

    [Fact]
    public void A_version_that_relocations_use_is_refused()
    {
        // GLIBCXX_3.4 binds symbols the library really calls: weakening it would be unsafe.
        var elf = File.ReadAllBytes(PackageLibrary());
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.WeakenUnmet(elf, StdCxx, HostWithout("GLIBCXX_3.4")));
        Assert.Contains("used by a relocation", e.Message);
    }

    [Fact]
    public void The_file_edit_replaces_the_file_and_keeps_its_permissions()
    {
        using var temp = new TestSupport.TempFolder();
        string copy = temp.File("libLibTorchSharp.so");
        File.Copy(PackageLibrary(), copy);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(new[] { "GLIBCXX_3.4.32" }, ElfVersionNeeds.WeakenUnmetInFile(copy, StdCxx, HostWithout("GLIBCXX_3.4.32")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(copy));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void A_file_that_is_not_elf_is_reported()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.ReadNeeds(new byte[100]));
    }
}
