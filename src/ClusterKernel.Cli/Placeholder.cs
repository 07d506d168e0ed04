System.Console.WriteLine("ck");
