using Vlm.Trainers.Runtime;
var info = TorchRuntime.Probe();
Console.WriteLine(info);
Console.WriteLine(NativeFixStatus.Inspect(AppContext.BaseDirectory).Describe());
