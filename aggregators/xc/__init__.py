"""The ``XC`` channel type: any HTTP SMS provider described by an XML connector."""
