using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Commands;
using Vlm.Trainers.Runtime;

CpuKernels.Apply(); // before any command's first tensor: libtorch picks its kernels once

var commands = new ICommand[]
{
    new DoctorCommand(),
    new TokenizeCommand(),
    new ExportTiktokenCommand(),
    new PrepareCommand(),
    new MakeSamplesCommand(),
    new DemoCommand(),
    new InitTinyCommand(),
    new TrainCommand(),
    new CacheFeaturesCommand(),
    new PredictCommand(),
    new ChatCommand(),
    new ServeCommand(),
    new ExportCommand(),
    new ReferenceCheckCommand(),
    new EvalCommand(),
    new BenchCommand(),
};
return new CommandRunner(commands).Run(args, Console.Out, Console.Error);
