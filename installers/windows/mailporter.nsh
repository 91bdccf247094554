; MailPorter's own part of the Windows installer: the "How MailPorter runs"
; page, its command-line switches, and what install and uninstall do with
; them. Included by the NSIS template that installers/windows/nsis.cmake
; derives from CMake's own.
;
;   MailPorter-<version>-win64.exe [/S] [/AUTOSTART=0|1] [/SERVICE=0|1] [/D=DIR]
;     /S            silent: no pages, the defaults below or the switches
;     /AUTOSTART=1  start the tray app at sign-in (HKCU ...\Run "MailPorter"
;                   = "<dir>\bin\mailporter.exe" --hidden, the value the app's
;                   own Settings switch writes); default 1
;     /SERVICE=1    register and start the engine as the "MailPorter" Windows
;                   service (mailporter-cli service install, then start);
;                   default 0
;     /D=DIR        the folder (the last switch; default Program Files\MailPorter)
; An upgrade keeps the last install's choices (HKLM\Software\MailPorter,
; read before the old version is removed); the switches override them.
; The uninstaller stops and removes the service, removes the Run value and
; those choices, and leaves the mail data (%LOCALAPPDATA%\MailPorter,
; %ProgramData%\MailPorter) where it is.
; Before files are replaced or removed, a running tray app is asked to quit
; (mailporter --quit: the pass in progress finishes), and what still runs
; after that (another user's) is ended: the engine loses nothing to a kill.

!include LogicLib.nsh
!include nsDialogs.nsh
!include FileFunc.nsh

!define MP_CHOICES_KEY "Software\MailPorter"
!define MP_RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"

Var MP_AUTOSTART
Var MP_SERVICE
Var MP_AUTOSTART_BOX
Var MP_SERVICE_BOX

; "0", "no", "false" and "off" are off; anything else is on.
!macro MP_SWITCH Var Name
  ClearErrors
  ${GetOptions} $R0 "/${Name}=" $R1
  ${IfNot} ${Errors}
    ${If} $R1 == "0"
    ${OrIf} $R1 == "no"
    ${OrIf} $R1 == "false"
    ${OrIf} $R1 == "off"
      StrCpy ${Var} 0
    ${Else}
      StrCpy ${Var} 1
    ${EndIf}
  ${EndIf}
!macroend

; .onInit, before an older version is removed: the choices to start from.
Function MailPorterChoices
  Push $R0
  Push $R1
  StrCpy $MP_AUTOSTART 1
  StrCpy $MP_SERVICE 0
  SetRegView 64
  ReadRegStr $R1 HKLM "${MP_CHOICES_KEY}" "StartAtSignIn"
  ${If} $R1 == "0"
  ${OrIf} $R1 == "1"
    StrCpy $MP_AUTOSTART $R1
  ${EndIf}
  ReadRegStr $R1 HKLM "${MP_CHOICES_KEY}" "Service"
  ${If} $R1 == "0"
  ${OrIf} $R1 == "1"
    StrCpy $MP_SERVICE $R1
  ${EndIf}
  ${GetParameters} $R0
  !insertmacro MP_SWITCH $MP_AUTOSTART AUTOSTART
  !insertmacro MP_SWITCH $MP_SERVICE SERVICE
  Pop $R1
  Pop $R0
FunctionEnd

Function MailPorterOptionsPage
  !insertmacro MUI_HEADER_TEXT "How MailPorter runs" "Choose how MailPorter starts on this computer."
  nsDialogs::Create 1018
  Pop $0
  ${If} $0 == error
    Abort
  ${EndIf}
  ${NSD_CreateCheckbox} 0 0 100% 12u "&Start MailPorter in the notification area when I sign in"
  Pop $MP_AUTOSTART_BOX
  ${If} $MP_AUTOSTART == 1
    ${NSD_Check} $MP_AUTOSTART_BOX
  ${EndIf}
  ${NSD_CreateLabel} 12u 14u -12u 20u "Its icon shows at a glance whether mail is moving: green fine, yellow look at me, red mail not moving."
  Pop $0
  ${NSD_CreateCheckbox} 0 44u 100% 12u "&Run the engine as a Windows service (for a server nobody signs in to)"
  Pop $MP_SERVICE_BOX
  ${If} $MP_SERVICE == 1
    ${NSD_Check} $MP_SERVICE_BOX
  ${EndIf}
  ${NSD_CreateLabel} 12u 58u -12u 48u "The service polls while nobody is signed in, with its own accounts in %ProgramData%\MailPorter. Add them from an administrator's prompt: mailporter-cli service install prints how. Leave this off when the tray app moves the mail."
  Pop $0
  nsDialogs::Show
FunctionEnd

Function MailPorterOptionsLeave
  ${NSD_GetState} $MP_AUTOSTART_BOX $0
  ${If} $0 == ${BST_CHECKED}
    StrCpy $MP_AUTOSTART 1
  ${Else}
    StrCpy $MP_AUTOSTART 0
  ${EndIf}
  ${NSD_GetState} $MP_SERVICE_BOX $0
  ${If} $0 == ${BST_CHECKED}
    StrCpy $MP_SERVICE 1
  ${Else}
    StrCpy $MP_SERVICE 0
  ${EndIf}
FunctionEnd

; Ends a running tray app of this folder so its files can be replaced.
!macro MP_CLOSE_APP un
Function ${un}MailPorterCloseApp
  ${If} ${FileExists} "$INSTDIR\bin\mailporter.exe"
    DetailPrint "Asking MailPorter to quit"
    nsExec::ExecToLog '"$INSTDIR\bin\mailporter.exe" --quit'
    Pop $0
    nsExec::ExecToLog '"$SYSDIR\taskkill.exe" /F /IM mailporter.exe'
    Pop $0
  ${EndIf}
FunctionEnd
!macroend
!insertmacro MP_CLOSE_APP ""
!insertmacro MP_CLOSE_APP "un."

; The install section, after the files are in place.
Function MailPorterInstall
  SetRegView 64
  WriteRegStr HKLM "${MP_CHOICES_KEY}" "StartAtSignIn" $MP_AUTOSTART
  WriteRegStr HKLM "${MP_CHOICES_KEY}" "Service" $MP_SERVICE
  ${If} $MP_AUTOSTART == 1
    DetailPrint "MailPorter starts in the notification area at sign-in"
    WriteRegStr HKCU "${MP_RUN_KEY}" "MailPorter" '"$INSTDIR\bin\mailporter.exe" --hidden'
  ${Else}
    DeleteRegValue HKCU "${MP_RUN_KEY}" "MailPorter"
  ${EndIf}
  ${If} $MP_SERVICE == 1
    DetailPrint "Registering the MailPorter service"
    nsExec::ExecToLog '"$INSTDIR\bin\mailporter-cli.exe" service install'
    Pop $0
    ${If} $0 == 0
      nsExec::ExecToLog '"$INSTDIR\bin\mailporter-cli.exe" service start'
      Pop $0
    ${EndIf}
    ${If} $0 != 0
      ; The files are installed; say so plainly and let the exit code tell a script.
      MessageBox MB_OK|MB_ICONEXCLAMATION "The MailPorter service could not be set up (exit code $0). The details are in the installer's log. From an administrator's prompt: mailporter-cli service install" /SD IDOK
      SetErrorLevel 3
    ${EndIf}
  ${EndIf}
FunctionEnd

; The uninstall section, before the files go: the service that runs this
; folder's mailporter-cli.exe must not outlive it, whether the installer or an
; administrator registered it.
Function un.MailPorterUninstall
  SetRegView 64
  Call un.MailPorterCloseApp
  ${If} ${FileExists} "$INSTDIR\bin\mailporter-cli.exe"
    ; Only the service that runs this folder's program.
    ReadRegStr $0 HKLM "SYSTEM\CurrentControlSet\Services\MailPorter" "ImagePath"
    Push $0
    Push "$INSTDIR\bin\mailporter-cli.exe"
    Call un.StrStr
    Pop $0
    ${If} $0 != ""
      DetailPrint "Stopping and removing the MailPorter service"
      nsExec::ExecToLog '"$INSTDIR\bin\mailporter-cli.exe" service uninstall'
      Pop $0
    ${EndIf}
  ${EndIf}
  DeleteRegValue HKCU "${MP_RUN_KEY}" "MailPorter"
  DeleteRegKey HKLM "${MP_CHOICES_KEY}"
FunctionEnd
