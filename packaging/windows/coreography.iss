; Inno Setup script: wraps dist\coreography (the PyInstaller onedir build of
; packaging/coreography.spec) in one installer. Built by .github/workflows/installers.yml:
;   iscc /DAppVersion=0.1.0 packaging\windows\coreography.iss
; Per-user install by default (no administrator needed); the user may choose all users.
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{7C0B5E2A-4D0C-4C59-9E53-2F1F8C6A9B31}
AppName=Coreography
AppVersion={#AppVersion}
AppPublisher=Coreography developers
DefaultDirName={autopf}\Coreography
DefaultGroupName=Coreography
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=coreography-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\build\icons\coreography.ico
UninstallDisplayIcon={app}\coreography.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Files]
; The whole app folder: coreography.exe (the window), coreography-cli.exe (the command
; line, with a console), _internal\, LICENSE, README.md and THIRD_PARTY_NOTICES.txt.
Source: "..\..\dist\coreography\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Coreography"; Filename: "{app}\coreography.exe"
; The window's program has no console; coreography-cli.exe (same bundle) is the command
; line, opened here in a console that stays after it prints its help.
Name: "{group}\Coreography command line"; Filename: "{cmd}"; Parameters: "/k ""{app}\coreography-cli.exe"" --help"; WorkingDir: "{userdocs}"; IconFilename: "{app}\coreography.exe"
Name: "{autodesktop}\Coreography"; Filename: "{app}\coreography.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop icon"; Flags: unchecked

[Run]
Filename: "{app}\coreography.exe"; Description: "Start Coreography"; Flags: nowait postinstall skipifsilent
