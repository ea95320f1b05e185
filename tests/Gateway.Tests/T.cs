namespace Gateway.Tests; public class T {}
