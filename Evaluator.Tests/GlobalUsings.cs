global using NUnit.Framework;
global using Evaluator.Core;
