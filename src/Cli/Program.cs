using System.CommandLine;
using FastAD.Cli;

return FastAdCommand.Run(args);
