namespace Vlm.Datasets.IO;

/// <summary>
/// Writes a folder so that a folder with the final name is complete: the content goes into
/// <c>{folder}.tmp</c>, which then takes the final name (an older folder of that name is moved
/// aside first and removed last). On any failure while writing, the temporary folder is removed and
/// the older folder is untouched.
/// </summary>
public static class AtomicFolder
{
    /// <summary>The suffix of folders being written or replaced: listings of complete folders skip it.</summary>
    public const string TempSuffix = ".tmp";

    public static void Write(string folder, Action<string> write)
    {
        string full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar), temp = full + TempSuffix, replaced = full + ".replaced" + TempSuffix;
        foreach (string stale in new[] { temp, replaced })
            if (Directory.Exists(stale)) Directory.Delete(stale, recursive: true);
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
        }
        catch
        {
            try { Directory.Delete(temp, recursive: true); } catch (IOException) { } // the write's own error is the one to report
            throw;
        }
        if (Directory.Exists(full)) Directory.Move(full, replaced);
        Directory.Move(temp, full);
        if (Directory.Exists(replaced)) Directory.Delete(replaced, recursive: true);
    }
}
