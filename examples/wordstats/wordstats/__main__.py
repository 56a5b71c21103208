from wordstats import main

main()
